//! Accounts: tax exemptions (S12) and pack claims (S11). (being written)
