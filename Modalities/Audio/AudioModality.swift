/// AudioModality: mel spectrograms, vocoders and the text-to-audio pipeline.
