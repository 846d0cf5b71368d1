"""Server-side cryptography: the sealing key pairs that devices encrypt finalized records to."""
