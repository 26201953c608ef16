"""Importing and exporting the register: sites, zones and assets from the files operators have.

`reading` opens a file through GDAL (pyogrio) or openpyxl/csv and yields features in
batches, already in WGS 84 (`crs`); `columns` matches its columns to the register's fields;
`service` checks each feature and writes a batch at a time; `export` writes the register
back out so that export → import changes nothing. The CLI (`cli`) and the page
`/admin/import` (`pages`) are two doors to the same `service`.
"""
