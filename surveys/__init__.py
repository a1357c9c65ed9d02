"""gridscore surveys layer: residents' satisfaction surveys, honest by construction.

Public entry points:

* `surveys.questionnaire.load_questionnaire(path=None) -> Questionnaire`
* `surveys.design.draw_sample(db, period_id, *, seed, options=None) -> Sample`
  (A1 sizes, A2 seeded SRSWOR per grid, single-use tokens stored as hashes);
  `surveys.tokens_file.write_token_file(db, sample.tokens, path)`
* `surveys.intake.submit(db, token, answers, *, submission_id, channel, ...) -> SubmitResult`,
  `surveys.intake.token_state(db, token)`, `surveys.intake.salt_of(db, period_id)` (the
  secret salt of the device / address hashes; never shown); `surveys.import_answers.import_answers(db, path)`
* `surveys.dispositions.record_dispositions(db, outcomes)`, `response_rates(db, period_id)` (A3)
* `surveys.estimate.estimate(db, period_id, *, level="grid", k_min=5) -> pl.DataFrame` (A4–A11)
* `surveys.suppression.suppressed_units(grids, tree, k_min)`: which units are withheld,
  "small" or "complementary" (A11; `estimate` applies it)
* `surveys.quality.screen(db, period_id)`, `surveys.quality.flags(db, period_id)` (A12)
* `surveys.synthetic.simulate(db, *, period_id, seed)` (demo / tests / benchmarks)
"""
