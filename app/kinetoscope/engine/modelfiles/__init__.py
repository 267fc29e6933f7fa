"""Model files: bundles and input recipes, the bundled data, the catalog, downloads, installs and the model library."""
