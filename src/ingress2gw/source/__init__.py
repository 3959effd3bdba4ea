"""Reading manifests: files, directories and stdin into documents that know their line numbers."""
