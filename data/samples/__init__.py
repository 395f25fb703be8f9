"""The bundled sample snapshots, shipped inside the package as ``kubesec_nb._samples`` (see setup.py)."""
