"""The live dashboard (``make dashboard``), split by job: what the controls mean (:mod:`.selection`, pure), who
may start a run and the thread it runs in (:mod:`.job`), the widgets (:mod:`.panel`), the figures it draws
(:mod:`.views`) and the Voilà server (:mod:`.server`). Only the panel and the views need ipywidgets and plotly.
"""
