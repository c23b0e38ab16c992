"""Technology transfer engines: matching needs to achievements and patents (`matching`)."""
