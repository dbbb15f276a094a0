//! One BGP session: the tokio adapter around the FSM (skeleton).
