CREATE TABLE `feed_checks` (
	`event_id` integer PRIMARY KEY NOT NULL,
	`room_id` integer NOT NULL,
	`candidate_id` integer NOT NULL,
	`due_at` integer NOT NULL,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`room_id`) REFERENCES `exam_rooms`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`candidate_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `feed_checks_due_idx` ON `feed_checks` (`due_at`);--> statement-breakpoint
CREATE INDEX `feed_checks_candidate_idx` ON `feed_checks` (`room_id`,`candidate_id`);--> statement-breakpoint
CREATE TABLE `incident_candidates` (
	`incident_id` integer NOT NULL,
	`candidate_id` integer NOT NULL,
	`first_event_id` integer NOT NULL,
	`lost_at` integer NOT NULL,
	`recovered_at` integer,
	PRIMARY KEY(`incident_id`, `candidate_id`),
	FOREIGN KEY (`incident_id`) REFERENCES `incidents`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`candidate_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`first_event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `incident_candidates_candidate_idx` ON `incident_candidates` (`candidate_id`);--> statement-breakpoint
CREATE TABLE `incidents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`room_id` integer NOT NULL,
	`state` text DEFAULT 'open' NOT NULL,
	`started_at` integer NOT NULL,
	`last_loss_at` integer NOT NULL,
	`cleared_at` integer,
	`proposed_minutes` integer,
	`decision` text,
	`granted_minutes` integer,
	`decided_by` integer,
	`decided_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`room_id`) REFERENCES `exam_rooms`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`decided_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `incidents_room_idx` ON `incidents` (`room_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `incidents_open_room_uq` ON `incidents` (`room_id`) WHERE state = 'open';--> statement-breakpoint
CREATE INDEX `events_room_at_idx` ON `events` (`room_id`,`occurred_at`);