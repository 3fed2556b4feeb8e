// Vitest runs server code outside Next's react-server build: the `server-only` marker is a no-op here.
export {};
