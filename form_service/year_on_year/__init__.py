"""Year on year: a school's scores per heading in this cycle beside earlier ones, and the LA's averages per cycle.

`index.py` finds every school's counted submission in each cycle from the summary rows; `chart.py` draws the
chart as inline SVG; `views.py` holds the school's and the LA's pages (blueprint `year_on_year`), their
templates under `templates/year_on_year/`.
"""
