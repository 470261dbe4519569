"""Many runs, and what is read from them: the λ grid and its rules (:mod:`.grid`), the sensitivity study
(:mod:`.sensitivity`), the paper author's own logs (:mod:`.author_logs`), the paper's claims graded on seed
bands (:mod:`.claims`, :mod:`.grading`, with the data they read: :mod:`.claim_data`), and the catalog of every
finished run (:mod:`.catalog`).
"""
