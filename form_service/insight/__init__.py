"""Insight across schools, for the LA: the heatmap of schools by heading, the spread of ratings per criterion,
the best-practice finder, the schools that could help each school, and the exports of every school.

`index.py` gives each school's latest submitted ratings (moderated where the LA moderated) from the summary rows;
`exports.py` writes every school's status, stage, scores and awards as CSV and XLSX; `views.py` holds the pages
(blueprint `insight`, under /la/insight), their templates under `templates/insight/`.
"""
