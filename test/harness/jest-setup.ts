import { jest } from "@jest/globals";

// Integration tests drive real processes; their own waits are bounded, this is the outer limit.
jest.setTimeout(120_000);
