"""The compute view: GPU commitments in H100-equivalents, FLOP/s and MW, aggregated and exported."""
