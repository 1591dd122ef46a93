// Package harness holds what the benchmark commands under bench/cmd share:
// running a subprocess and measuring its wall time, CPU time and peak
// memory (Run), building the auditlake binary they measure (EnsureBinary),
// medians, and a description of the machine the numbers were taken on
// (DescribeMachine).
package harness
