"""Sealing secrets offline, their certificates, inputs and verification."""
