CREATE TABLE `face_attempt_frames` (
	`attempt_id` integer NOT NULL,
	`idx` integer NOT NULL,
	`jpeg` blob NOT NULL,
	`faces` integer NOT NULL,
	`similarity` real,
	PRIMARY KEY(`attempt_id`, `idx`),
	FOREIGN KEY (`attempt_id`) REFERENCES `face_attempts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `face_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`candidate_id` integer NOT NULL,
	`status` text NOT NULL,
	`similarity` real,
	`descriptor` blob,
	`reason` text,
	`secret_hash` text NOT NULL,
	`claimed_at` integer,
	`decided_by` integer,
	`decided_at` integer,
	`decision_note` text,
	`client` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`candidate_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`decided_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `face_attempts_status_idx` ON `face_attempts` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `face_attempts_candidate_idx` ON `face_attempts` (`candidate_id`,`id`);--> statement-breakpoint
CREATE TABLE `face_photo_import_items` (
	`import_id` integer NOT NULL,
	`candidate_id` integer NOT NULL,
	`photo` blob NOT NULL,
	`descriptor` blob NOT NULL,
	PRIMARY KEY(`import_id`, `candidate_id`),
	FOREIGN KEY (`import_id`) REFERENCES `face_photo_imports`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`candidate_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `face_photo_imports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`file_name` text NOT NULL,
	`entries` text NOT NULL,
	`created_by` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`committed_at` integer,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `face_references` (
	`candidate_id` integer PRIMARY KEY NOT NULL,
	`photo` blob NOT NULL,
	`descriptor` blob NOT NULL,
	`source` text NOT NULL,
	`created_by` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`candidate_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
