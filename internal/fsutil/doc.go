// Package fsutil holds the file-system steps that make writes durable:
// fsync of files and directories, and renames that survive a crash.
package fsutil
