"""Reference code lists: administrative divisions (GB/T 2260) and industries (GB/T 4754-2017).

Pure Python; the Django side loads these rows into tables. See `kechuang.reference.load`.
"""
