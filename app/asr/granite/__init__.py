"""The Granite autoregressive models: features, prompts, the runner, speculative decoding, CTC heads, Plus output."""
