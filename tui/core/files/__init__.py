"""Writing files safely: atomic replacement, stamps of files open in the app, validated export."""
