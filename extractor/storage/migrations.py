"""The database schema, as small migrations applied whenever a database is opened."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("truce")


@migrations()
def m001_extraction_tables(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE articles (
            id TEXT PRIMARY KEY,             -- first 16 hex of sha256(text)
            text TEXT NOT NULL,              -- what evidence offsets index into
            title TEXT,
            publisher TEXT,
            url TEXT,
            published TEXT,                  -- ISO date, from metadata or a dateline
            source TEXT,                     -- file (and line, for .jsonl) it came from
            metadata TEXT,                   -- other input fields, JSON
            added_at TEXT NOT NULL
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            command TEXT NOT NULL,
            model TEXT,
            base_url TEXT,
            mode TEXT,
            prompt_hash TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,            -- running | completed | interrupted
            articles_extracted INTEGER NOT NULL DEFAULT 0,
            articles_skipped INTEGER NOT NULL DEFAULT 0,
            articles_failed INTEGER NOT NULL DEFAULT 0,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            errors TEXT                      -- JSON list of {source, error}
        );
        CREATE TABLE extractions (
            id INTEGER PRIMARY KEY,
            article_id TEXT NOT NULL REFERENCES articles(id),
            run_id INTEGER NOT NULL REFERENCES runs(id),
            model TEXT NOT NULL,
            prompt_hash TEXT NOT NULL,
            status TEXT NOT NULL,            -- ok | failed | superseded
            error TEXT,
            claims_count INTEGER NOT NULL DEFAULT 0,
            ungrounded_count INTEGER NOT NULL DEFAULT 0,
            dropped_ungrounded INTEGER NOT NULL DEFAULT 0,
            input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            finished_at TEXT NOT NULL
        );
        CREATE INDEX idx_extractions_article ON extractions(article_id, model, prompt_hash, status);
        CREATE TABLE claims (
            id TEXT PRIMARY KEY,             -- <article id>-<n>
            article_id TEXT NOT NULL REFERENCES articles(id),
            extraction_id INTEGER NOT NULL REFERENCES extractions(id),
            kind TEXT NOT NULL,
            summary TEXT NOT NULL,
            place TEXT,
            scope TEXT NOT NULL,
            event_date TEXT,                 -- ISO (YYYY, YYYY-MM or YYYY-MM-DD) or NULL
            event_date_precision TEXT NOT NULL,
            event_date_text TEXT,            -- the words used
            duration_text TEXT,
            duration_iso TEXT,
            duration_open_ended INTEGER,
            duration_bound TEXT,
            conditions TEXT NOT NULL,        -- JSON list
            terms TEXT NOT NULL,             -- JSON list
            factuality TEXT NOT NULL,
            grounding TEXT NOT NULL,         -- grounded | partial | ungrounded
            flags TEXT NOT NULL,             -- JSON list of warnings
            publisher TEXT,
            speaker TEXT,                    -- display form of the last link of the chain
            model TEXT NOT NULL,
            prompt_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX idx_claims_article ON claims(article_id);
        CREATE INDEX idx_claims_kind ON claims(kind);
        CREATE INDEX idx_claims_event_date ON claims(event_date);
        CREATE INDEX idx_claims_grounding ON claims(grounding);
        CREATE TABLE parties (
            id INTEGER PRIMARY KEY,
            claim_id TEXT NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,              -- as written
            canonical TEXT NOT NULL,
            role TEXT NOT NULL
        );
        CREATE INDEX idx_parties_claim ON parties(claim_id);
        CREATE INDEX idx_parties_canonical ON parties(canonical);
        CREATE TABLE attributions (
            id INTEGER PRIMARY KEY,
            claim_id TEXT NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,       -- 0 = publisher, outermost first
            role TEXT NOT NULL,              -- publisher | relay | speaker
            name TEXT,
            title TEXT,
            affiliation TEXT,
            anonymous INTEGER NOT NULL DEFAULT 0,
            description TEXT,
            channel TEXT,
            named_in_text INTEGER            -- 0 when the name was not found in the article
        );
        CREATE INDEX idx_attributions_claim ON attributions(claim_id);
        CREATE INDEX idx_attributions_name ON attributions(role, name);
        CREATE TABLE evidence (
            id INTEGER PRIMARY KEY,
            claim_id TEXT NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            quote TEXT NOT NULL,             -- == articles.text[start:end] when aligned
            model_quote TEXT NOT NULL,       -- what the model wrote
            start INTEGER,
            "end" INTEGER,
            alignment TEXT NOT NULL,         -- exact | normalised | fuzzy | ungrounded
            score REAL NOT NULL
        );
        CREATE INDEX idx_evidence_claim ON evidence(claim_id);
        CREATE TABLE model_calls (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            article_id TEXT,
            purpose TEXT NOT NULL,           -- extract | reask_ungrounded | adjudicate
            model TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            status TEXT NOT NULL,            -- ok | invalid_output | http_error
            error TEXT,
            request_json TEXT,               -- no API key, ever
            response_json TEXT,
            input_tokens INTEGER,
            output_tokens INTEGER,
            duration_ms INTEGER,
            started_at TEXT NOT NULL
        );
        CREATE INDEX idx_model_calls_run ON model_calls(run_id);
        CREATE INDEX idx_model_calls_article ON model_calls(article_id);
        """
    )
    db["claims"].enable_fts(["summary", "place", "speaker"], create_triggers=True)
    db["evidence"].enable_fts(["quote"], create_triggers=True)


@migrations()
def m002_conflicts(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE conflicts (
            id INTEGER PRIMARY KEY,
            claim_a TEXT NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
            claim_b TEXT NOT NULL REFERENCES claims(id) ON DELETE CASCADE,  -- claim_a < claim_b
            type TEXT NOT NULL,              -- existence | status | terms | scope | retraction
            severity TEXT NOT NULL,          -- high | medium | partial
            reason TEXT NOT NULL,
            method TEXT NOT NULL,            -- rule: <rule name> | model: <model name>
            run_id INTEGER REFERENCES runs(id),
            created_at TEXT NOT NULL,
            UNIQUE (claim_a, claim_b, type)
        );
        CREATE INDEX idx_conflicts_claim_a ON conflicts(claim_a);
        CREATE INDEX idx_conflicts_claim_b ON conflicts(claim_b);
        CREATE INDEX idx_conflicts_type ON conflicts(type);
        -- Model verdicts on pairs the rules left ambiguous, so a pair is asked once.
        CREATE TABLE adjudications (
            id INTEGER PRIMARY KEY,
            claim_a TEXT NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
            claim_b TEXT NOT NULL REFERENCES claims(id) ON DELETE CASCADE,
            verdict TEXT NOT NULL,           -- contradicts | consistent | refines | unrelated
            conflict_type TEXT,
            reason TEXT NOT NULL,
            ambiguity TEXT NOT NULL,         -- why the rules could not decide
            model TEXT NOT NULL,
            prompt_hash TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            created_at TEXT NOT NULL,
            UNIQUE (claim_a, claim_b, model, prompt_hash)
        );
        """
    )


@migrations()
def m003_eval_runs(db: Database) -> None:
    db.executescript(
        """
        -- One row per `truce eval` run: what was scored, with what, and the scores.
        CREATE TABLE eval_runs (
            id INTEGER PRIMARY KEY,
            suite TEXT NOT NULL,             -- suite folder name, e.g. dev
            suite_path TEXT NOT NULL,
            mode TEXT NOT NULL,              -- replay | live | crosscheck-only
            recording TEXT,                  -- recording name (replay, or live with --record)
            model TEXT,
            prompt_hash TEXT,
            started_at TEXT NOT NULL,
            seconds REAL,
            passed INTEGER,                  -- 1 when every threshold held, NULL when none apply
            scores TEXT NOT NULL,            -- the JSON summary `truce eval --json` prints
            threshold_failures TEXT          -- JSON list of sentences
        );
        CREATE INDEX idx_eval_runs_suite ON eval_runs(suite);
        -- Every matched, missed, false or wrong item behind an eval run's scores.
        CREATE TABLE eval_items (
            id INTEGER PRIMARY KEY,
            eval_run_id INTEGER NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
            category TEXT NOT NULL,          -- claim | conflict | hard_negative | no_claim_span | field | entity
                                             -- | article
            outcome TEXT NOT NULL,           -- matched | missed | false | wrong | flagged | hit | failed
            label TEXT NOT NULL,             -- claim kind, conflict type or field name
            gold TEXT,                       -- gold key <article stem>#<claim id>, or a pair
            predicted TEXT,                  -- claim id, or a pair of claim ids
            detail TEXT
        );
        CREATE INDEX idx_eval_items_run ON eval_items(eval_run_id, category, outcome);
        """
    )


@migrations()
def m004_entities(db: Database) -> None:
    db.executescript(
        """
        -- Resolved entities, rebuilt by every cross-check from the party mentions
        -- (extractor/entities.py); every party row points at one.
        CREATE TABLE entities (
            id TEXT PRIMARY KEY,             -- slug of its name
            name TEXT NOT NULL,
            kind TEXT,                       -- state | armed group | organisation | unknown
            aliases TEXT NOT NULL,           -- JSON list of the names as written, most used first
            mentions INTEGER NOT NULL,
            side TEXT NOT NULL,              -- what the cross-check blocks on (a parties.toml group, or the id)
            evidence TEXT                    -- JSON list: why its names were merged
        );
        ALTER TABLE parties ADD COLUMN entity_id TEXT;
        CREATE INDEX idx_parties_entity ON parties(entity_id);
        -- The analyst's merges and splits, applied on every resolution.
        CREATE TABLE entity_decisions (
            id INTEGER PRIMARY KEY,
            action TEXT NOT NULL,            -- merge | split
            name TEXT NOT NULL,
            other TEXT,                      -- merge: the second name
            created_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m005_run_process(db: Database) -> None:
    # Which process runs a run, so that a run killed outright can be marked interrupted.
    db.executescript(
        """
        ALTER TABLE runs ADD COLUMN pid INTEGER;
        ALTER TABLE runs ADD COLUMN host TEXT;
        """
    )


@migrations()
def m006_standard_names_and_truce_start(db: Database) -> None:
    # The model's standard name for a party (entity resolution links on it), and when
    # the truce a claim speaks of began (the cross-check's sequence rules use it).
    db.executescript(
        """
        ALTER TABLE parties ADD COLUMN standard_name TEXT;
        ALTER TABLE claims ADD COLUMN truce_began_text TEXT;
        ALTER TABLE claims ADD COLUMN truce_began_date TEXT;
        ALTER TABLE claims ADD COLUMN truce_began_precision TEXT;
        """
    )


@migrations()
def m007_prompt_parts(db: Database) -> None:
    # What every call repeats (the system message with its worked example, the JSON
    # schema) is stored once; request_json holds "@part:<hash>" in its place.
    db.executescript(
        """
        CREATE TABLE prompt_parts (
            hash TEXT PRIMARY KEY,           -- sha256 of json, first 16 hex
            json TEXT NOT NULL               -- the JSON value exactly as it was sent
        );
        ALTER TABLE model_calls ADD COLUMN parts TEXT;   -- JSON list of the hashes it uses
        -- Prompt tokens the server says it served from its prefix cache, where it says so.
        ALTER TABLE model_calls ADD COLUMN cached_tokens INTEGER;
        """
    )


@migrations()
def m008_article_in_requests(db: Database) -> None:
    # The article a request carries is the article row's text: request_json holds
    # "@article:<id>" in its place, and the view puts it back, escaped as JSON.
    db.executescript(
        """
        DROP VIEW IF EXISTS model_call_requests;  -- a first form of it, without the article
        -- Every request exactly as sent: request_json with its parts and article put back.
        CREATE VIEW model_call_requests AS
        SELECT m.id, m.run_id, m.article_id, m.purpose,
               replace(
                   replace(
                       replace(
                           m.request_json,
                           '"@part:' || ifnull(json_extract(m.parts, '$[0]'), '-') || '"',
                           ifnull((SELECT json FROM prompt_parts WHERE hash = json_extract(m.parts, '$[0]')), '')
                       ),
                       '"@part:' || ifnull(json_extract(m.parts, '$[1]'), '-') || '"',
                       ifnull((SELECT json FROM prompt_parts WHERE hash = json_extract(m.parts, '$[1]')), '')
                   ),
                   '@article:' || ifnull(m.article_id, '-'),
                   ifnull((SELECT substr(json_quote(a.text), 2, length(json_quote(a.text)) - 2)
                           FROM articles a WHERE a.id = m.article_id), '')
               ) AS request_json
        FROM model_calls m;
        """
    )


@migrations()
def m009_full_text_search(db: Database) -> None:
    # Search over articles (truce serve: ?_search= on the articles table). Claims and
    # quotes have theirs since m001 (claims_fts, evidence_fts). What sqlite-utils'
    # enable_fts writes, with detail=none: words and prefixes are found, phrases are not,
    # and the index costs about 0.07 KB per 2.6k-character article instead of 0.6 KB
    # (issue 9 keeps a database under 8 KB per article). The triggers keep it current.
    db.executescript(
        """
        CREATE VIRTUAL TABLE [articles_fts] USING FTS5 ([title], [text], content=[articles], detail=none);
        INSERT INTO [articles_fts] (rowid, [title], [text]) SELECT rowid, [title], [text] FROM [articles];
        CREATE TRIGGER [articles_ai] AFTER INSERT ON [articles] BEGIN
          INSERT INTO [articles_fts] (rowid, [title], [text]) VALUES (new.rowid, new.[title], new.[text]);
        END;
        CREATE TRIGGER [articles_ad] AFTER DELETE ON [articles] BEGIN
          INSERT INTO [articles_fts] ([articles_fts], rowid, [title], [text])
            VALUES ('delete', old.rowid, old.[title], old.[text]);
        END;
        CREATE TRIGGER [articles_au] AFTER UPDATE ON [articles] BEGIN
          INSERT INTO [articles_fts] ([articles_fts], rowid, [title], [text])
            VALUES ('delete', old.rowid, old.[title], old.[text]);
          INSERT INTO [articles_fts] (rowid, [title], [text]) VALUES (new.rowid, new.[title], new.[text]);
        END;
        """
    )


@migrations()
def m010_run_costs(db: Database) -> None:
    # What a run cost (extractor/extraction/cost.py). The prices are those charged, in US
    # dollars per million tokens, after any batch discount: cost_usd is
    # ((input_tokens - cached_tokens) * price_in + cached_tokens * price_cached_in
    #  + output_tokens * price_out) / 1e6. cost_usd is NULL when the model has no price.
    db.executescript(
        """
        ALTER TABLE runs ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0;  -- of input_tokens
        ALTER TABLE runs ADD COLUMN cost_usd REAL;
        ALTER TABLE runs ADD COLUMN price_in REAL;
        ALTER TABLE runs ADD COLUMN price_cached_in REAL;
        ALTER TABLE runs ADD COLUMN price_out REAL;
        ALTER TABLE runs ADD COLUMN price_source TEXT;   -- table | override | unknown; NULL: not priced
        ALTER TABLE runs ADD COLUMN price_batch INTEGER; -- 1 when the batch discount applied
        """
    )


@migrations()
def m011_batch_requests(db: Database) -> None:
    # Every request `truce batch prepare` wrote (extractor/batch/), so that `truce batch
    # ingest` maps a result line back to its article, window, model and prompt.
    db.executescript(
        """
        CREATE TABLE batch_requests (
            custom_id TEXT PRIMARY KEY,      -- <article id>-<purpose>[-w<window>]-<12 hex of body_hash>
            article_id TEXT NOT NULL REFERENCES articles(id),
            purpose TEXT NOT NULL,           -- extract | reask_ungrounded
            model TEXT NOT NULL,
            mode TEXT NOT NULL,              -- tools | json_schema | json_object
            max_tokens INTEGER,
            prompt_hash TEXT NOT NULL,
            body_hash TEXT NOT NULL,         -- sha256 of the request body as written
            prepare_run_id INTEGER NOT NULL REFERENCES runs(id),
            window INTEGER NOT NULL DEFAULT 0,
            excerpt_spans TEXT,              -- JSON [[start, end], ...] of a long article's window
            status TEXT NOT NULL,            -- prepared | answered | ingested | failed
            result_json TEXT,                -- its result line, while the article's other windows wait
            answer_json TEXT,                -- the answer, kept when its quotes do not all align
            reasks_extraction_id INTEGER REFERENCES extractions(id),
            extraction_id INTEGER REFERENCES extractions(id),
            ingest_run_id INTEGER REFERENCES runs(id),
            prepared_at TEXT NOT NULL,
            ingested_at TEXT
        );
        CREATE INDEX idx_batch_requests_group ON batch_requests(prepare_run_id, article_id, purpose);
        CREATE INDEX idx_batch_requests_extraction ON batch_requests(extraction_id);
        """
    )


def apply(db: Database) -> None:
    migrations.apply(db)


def pending(db: Database) -> bool:
    """Whether any migration is still to apply (a read: no lock taken)."""
    return bool(migrations.pending(db))
