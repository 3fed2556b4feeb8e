CREATE TABLE `candidate_imports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`exam_id` integer NOT NULL,
	`file_name` text NOT NULL,
	`rows` text NOT NULL,
	`problems` text NOT NULL,
	`created_by` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`committed_at` integer,
	FOREIGN KEY (`exam_id`) REFERENCES `exams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `candidate_imports_exam_idx` ON `candidate_imports` (`exam_id`,`id`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_registrations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`exam_id` integer NOT NULL,
	`room_id` integer,
	`candidate_id` integer NOT NULL,
	`seat` integer,
	`lot_number` integer,
	`lot_drawn_at` integer,
	`accepted_at` integer,
	`entered_at` integer,
	`info_confirmed_at` integer,
	`extra_minutes` integer DEFAULT 0 NOT NULL,
	`finished_at` integer,
	`finish_reason` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`exam_id`) REFERENCES `exams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`room_id`) REFERENCES `exam_rooms`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`candidate_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_registrations`("id", "exam_id", "room_id", "candidate_id", "seat", "lot_number", "lot_drawn_at", "accepted_at", "entered_at", "info_confirmed_at", "extra_minutes", "finished_at", "finish_reason", "created_at") SELECT "id", "exam_id", "room_id", "candidate_id", "seat", "lot_number", "lot_drawn_at", "accepted_at", "entered_at", "info_confirmed_at", "extra_minutes", "finished_at", "finish_reason", "created_at" FROM `registrations`;--> statement-breakpoint
DROP TABLE `registrations`;--> statement-breakpoint
ALTER TABLE `__new_registrations` RENAME TO `registrations`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `registrations_exam_candidate_uq` ON `registrations` (`exam_id`,`candidate_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `registrations_room_seat_uq` ON `registrations` (`room_id`,`seat`);--> statement-breakpoint
CREATE UNIQUE INDEX `registrations_room_lot_uq` ON `registrations` (`room_id`,`lot_number`);--> statement-breakpoint
CREATE INDEX `registrations_candidate_idx` ON `registrations` (`candidate_id`);--> statement-breakpoint
ALTER TABLE `audit_log` ADD `exam_id` integer REFERENCES exams(id) ON DELETE set null;--> statement-breakpoint
CREATE INDEX `audit_log_exam_idx` ON `audit_log` (`exam_id`,`id`);--> statement-breakpoint
CREATE INDEX `audit_log_at_idx` ON `audit_log` (`at`);--> statement-breakpoint
ALTER TABLE `exam_attachments` ADD `purpose` text DEFAULT 'notice' NOT NULL;--> statement-breakpoint
ALTER TABLE `exam_rooms` ADD `capacity` integer DEFAULT 30 NOT NULL;--> statement-breakpoint
ALTER TABLE `exam_rooms` ADD `archived_at` integer;--> statement-breakpoint
ALTER TABLE `exams` ADD `retention_days` integer DEFAULT 90 NOT NULL;--> statement-breakpoint
ALTER TABLE `exams` ADD `archived_at` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `archived_at` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `chief_invigilators_exam_uq` ON `chief_invigilators` (`exam_id`);