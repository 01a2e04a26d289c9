"""The Hugging Face NLP course as live demos: everything the training scripts and the Spaces share."""
