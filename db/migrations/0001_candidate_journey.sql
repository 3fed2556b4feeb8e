CREATE TABLE `answers` (
	`registration_id` integer NOT NULL,
	`question_id` text NOT NULL,
	`value` text NOT NULL,
	`revision` integer NOT NULL,
	`saved_at` integer NOT NULL,
	PRIMARY KEY(`registration_id`, `question_id`),
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `device_checks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`candidate_id` integer NOT NULL,
	`passed` integer NOT NULL,
	`camera` text NOT NULL,
	`microphone` text NOT NULL,
	`peak_level` real NOT NULL,
	`recorded_ms` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`candidate_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `device_checks_candidate_idx` ON `device_checks` (`candidate_id`,`id`);--> statement-breakpoint
CREATE TABLE `exam_attachments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`exam_id` integer NOT NULL,
	`file_name` text NOT NULL,
	`content_type` text NOT NULL,
	`content` blob NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`exam_id`) REFERENCES `exams`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `exam_attachments_exam_idx` ON `exam_attachments` (`exam_id`);--> statement-breakpoint
CREATE TABLE `message_receipts` (
	`message_id` integer NOT NULL,
	`candidate_id` integer NOT NULL,
	`read_at` integer,
	`acknowledged_at` integer,
	PRIMARY KEY(`message_id`, `candidate_id`),
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`candidate_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`audience` text NOT NULL,
	`exam_id` integer,
	`room_id` integer,
	`candidate_id` integer,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`priority` text DEFAULT 'normal' NOT NULL,
	`must_acknowledge` integer DEFAULT false NOT NULL,
	`sent_by` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`exam_id`) REFERENCES `exams`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`room_id`) REFERENCES `exam_rooms`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`candidate_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`sent_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `messages_created_idx` ON `messages` (`created_at`);--> statement-breakpoint
CREATE TABLE `question_sheets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`exam_id` integer NOT NULL,
	`position` integer NOT NULL,
	`title` text NOT NULL,
	`body` text DEFAULT '' NOT NULL,
	`questions` text DEFAULT '[]' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`exam_id`) REFERENCES `exams`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `question_sheets_exam_position_uq` ON `question_sheets` (`exam_id`,`position`);--> statement-breakpoint
CREATE TABLE `system_checks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`candidate_id` integer NOT NULL,
	`clock_offset_ms` integer NOT NULL,
	`round_trip_ms` integer NOT NULL,
	`app_version` text NOT NULL,
	`displays` text NOT NULL,
	`media_supported` integer NOT NULL,
	`user_agent` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`candidate_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `system_checks_candidate_idx` ON `system_checks` (`candidate_id`,`id`);--> statement-breakpoint
ALTER TABLE `exams` ADD `notice` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `registrations` ADD `lot_number` integer;--> statement-breakpoint
ALTER TABLE `registrations` ADD `lot_drawn_at` integer;--> statement-breakpoint
ALTER TABLE `registrations` ADD `accepted_at` integer;--> statement-breakpoint
ALTER TABLE `registrations` ADD `entered_at` integer;--> statement-breakpoint
ALTER TABLE `registrations` ADD `info_confirmed_at` integer;--> statement-breakpoint
ALTER TABLE `registrations` ADD `extra_minutes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `registrations` ADD `finished_at` integer;--> statement-breakpoint
ALTER TABLE `registrations` ADD `finish_reason` text;--> statement-breakpoint
CREATE UNIQUE INDEX `registrations_room_lot_uq` ON `registrations` (`room_id`,`lot_number`);