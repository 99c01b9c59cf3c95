"""The e-plikt rules: what a record is (detection), what may change (protection), who may change it."""
