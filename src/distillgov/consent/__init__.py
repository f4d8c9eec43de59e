"""Creators' consent: a register of reservations of works from AI training, the machine-readable
signals creators publish (AI-preferences vocabulary, robots.txt, TDMRep), and the check of a
crawl or dataset manifest against both (framework stakeholders table, content creators row;
policies table, collective licensing row)."""
