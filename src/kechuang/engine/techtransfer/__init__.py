"""Technology transfer engines (no Django): technology-contract registration (`contracts`)."""
