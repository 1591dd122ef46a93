// Package retention decides which segments of an event data store have
// outlived the store's retention period, as a pure planning step kept apart
// from the deletion that carries the plan out.
package retention
