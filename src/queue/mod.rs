//! Indexed priority queues and queue disciplines.
