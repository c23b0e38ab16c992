"""Technology transfer engines (no Django): matching needs to achievements and patents (`matching`) and
technology-contract registration (`contracts`)."""
