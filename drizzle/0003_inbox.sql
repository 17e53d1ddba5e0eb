CREATE TABLE "portal_pacing" (
	"portal_key" varchar(64) PRIMARY KEY NOT NULL,
	"next_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "service_state" (
	"name" varchar(64) PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"value" jsonb
);
--> statement-breakpoint
ALTER TABLE "processed_tickets" DROP CONSTRAINT "processed_tickets_status_check";--> statement-breakpoint
ALTER TABLE "processed_tickets" ADD COLUMN "pending_job" json;--> statement-breakpoint
CREATE INDEX "idx_processed_tickets_pending" ON "processed_tickets" USING btree ("updated_at") WHERE "processed_tickets"."pending_job" is not null;--> statement-breakpoint
ALTER TABLE "processed_tickets" ADD CONSTRAINT "processed_tickets_status_check" CHECK ("processed_tickets"."status" in ('queued', 'processing', 'notified', 'failed'));