"""Features join documents and models: plan the work, call the model layer, emit events."""
