CREATE TABLE "ticket_feedback" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"ticket_id" varchar(255) NOT NULL,
	"portal_id" varchar(64),
	"run_id" uuid,
	"triaged_priority" varchar(10),
	"triaged_provider" varchar(50),
	"useful" boolean NOT NULL,
	"chosen_priority" varchar(10),
	"draft_used" boolean,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ticket_feedback_ticket_portal_key" UNIQUE NULLS NOT DISTINCT("ticket_id","portal_id")
);
--> statement-breakpoint
CREATE INDEX "idx_ticket_feedback_updated_at" ON "ticket_feedback" USING btree ("updated_at");