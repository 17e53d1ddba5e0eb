DROP INDEX "idx_processed_at";--> statement-breakpoint
DROP INDEX "idx_provider";--> statement-breakpoint
DROP INDEX "idx_status";--> statement-breakpoint
ALTER TABLE "processed_tickets" ADD COLUMN "latest_priority" text;--> statement-breakpoint
ALTER TABLE "processed_tickets" ADD COLUMN "latest_subject" text;--> statement-breakpoint
-- Hand-written (drizzle-kit cannot express an extension or a back-fill): pg_trgm for the subject search's index
-- (shipped with the embedded PostgreSQL and with PostgreSQL's contrib packages; trusted, so a database owner may
-- create it), then each ticket's latest run's priority and subject copied onto its row, before the indexes are built.
-- The join is on ticket_id alone (hashable) with the portal compared as a filter: `is not distinct from` cannot be
-- hashed, and a nested loop over every run would not end.
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
UPDATE "processed_tickets" p
   SET "latest_priority" = r.priority, "latest_subject" = r.subject
  FROM (SELECT DISTINCT ON (portal_id, ticket_id) portal_id, ticket_id, output->>'priority' AS priority,
               ticket->>'subject' AS subject
          FROM "triage_runs"
         ORDER BY portal_id, ticket_id, created_at DESC) r
 WHERE r.ticket_id = p.ticket_id AND r.portal_id IS NOT DISTINCT FROM p.portal_id;--> statement-breakpoint
-- End of the hand-written part.
CREATE INDEX "idx_latest_priority" ON "processed_tickets" USING btree ("latest_priority","processed_at","id") WHERE "processed_tickets"."latest_priority" is not null;--> statement-breakpoint
CREATE INDEX "idx_latest_subject_trgm" ON "processed_tickets" USING gin ("latest_subject" gin_trgm_ops) WHERE "processed_tickets"."latest_subject" is not null;--> statement-breakpoint
CREATE INDEX "idx_not_posted_updated_at" ON "processed_tickets" USING btree ("updated_at") WHERE "processed_tickets"."status" = 'not_posted';--> statement-breakpoint
CREATE INDEX "idx_processed_at" ON "processed_tickets" USING btree ("processed_at","id","status","provider","duplicates");--> statement-breakpoint
CREATE INDEX "idx_provider" ON "processed_tickets" USING btree ("provider","processed_at","id") WHERE "processed_tickets"."provider" is not null;--> statement-breakpoint
CREATE INDEX "idx_status" ON "processed_tickets" USING btree ("status","processed_at","id") WHERE "processed_tickets"."status" in ('triaging', 'not_posted', 'posted_as_failure');