/*
 * integ_fault_b.c - integ_fault.c built again as variant 2 (other code at
 * other offsets), for the test that copies one module over the other.
 */
#define INTEG_FAULT_VARIANT 2
#include "integ_fault.c"
