"""Model storage, loading, devices and precision: what is installed and how it gets onto a device."""
