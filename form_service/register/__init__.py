"""The public register of schools holding the Quality Mark, as open data anyone may fetch without signing in.

`entries.py` works out which schools hold the mark on a day (pure: no Flask, no store); `views.py` serves the
register as JSON and CSV (blueprint `register`: /register.json and /register.csv) and reads it from the store
for `flask --app form_service export-register`.
"""
