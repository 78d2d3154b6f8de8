-- A row's result can carry a note beside its candidates: what the wiki said
-- of the partner's item (it does not exist, is a redirect, has another type).
-- It must reach the user even when no candidate is left to carry it.
ALTER TABLE row_matches ADD COLUMN note TEXT NOT NULL DEFAULT '';
