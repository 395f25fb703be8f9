"""The workbook's notebooks, shipped inside the package as ``kubesec_nb._notebooks`` (see setup.py)."""
