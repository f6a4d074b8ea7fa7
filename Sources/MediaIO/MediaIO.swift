/// MediaIO: images, audio and video written through FFmpeg and libsndfile.
