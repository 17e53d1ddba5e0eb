CREATE TABLE "processed_tickets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"ticket_id" varchar(255) NOT NULL,
	"portal_id" varchar(64),
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"provider" varchar(50),
	"success" boolean,
	"status" varchar(20) DEFAULT 'processing' NOT NULL,
	"claimed_by" varchar(100),
	"claimed_until" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"duplicates" integer DEFAULT 0 NOT NULL,
	"discord_message_id" varchar(64),
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_tickets_portal_ticket_key" UNIQUE NULLS NOT DISTINCT("portal_id","ticket_id"),
	CONSTRAINT "processed_tickets_status_check" CHECK ("processed_tickets"."status" in ('processing', 'notified', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "triage_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"ticket_id" varchar(255) NOT NULL,
	"portal_id" varchar(64),
	"request_id" varchar(128) NOT NULL,
	"attempt" integer NOT NULL,
	"status" varchar(20) NOT NULL,
	"provider" varchar(50),
	"model" varchar(200),
	"fallback_reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"repaired" boolean DEFAULT false NOT NULL,
	"guard_interventions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"prompt_version" varchar(64),
	"prompt_tokens" integer,
	"completion_tokens" integer,
	"timings" jsonb NOT NULL,
	"error_class" varchar(50),
	"error_message" text,
	"output" jsonb,
	"notification" jsonb,
	"discord_message_id" varchar(64),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "idx_processed_at" ON "processed_tickets" USING btree ("processed_at");--> statement-breakpoint
CREATE INDEX "idx_provider" ON "processed_tickets" USING btree ("provider");--> statement-breakpoint
CREATE INDEX "idx_status" ON "processed_tickets" USING btree ("status");--> statement-breakpoint
CREATE INDEX "idx_triage_runs_created_at" ON "triage_runs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "idx_triage_runs_ticket" ON "triage_runs" USING btree ("portal_id","ticket_id");