/// Tokenizers: CLIP and RoBERTa byte-level BPE, BERT WordPiece.
