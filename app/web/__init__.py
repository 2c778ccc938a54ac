"""The modes, one blueprint each: public, account, desk, counter, admin. Views stay thin and call the rules."""
