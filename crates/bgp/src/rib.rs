//! RIBs and the decision process (skeleton).
