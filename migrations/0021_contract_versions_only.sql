-- A contract's current and agreed versions are read from its versions (the highest one, the last
-- agreed one), never stored beside them where they could disagree.
alter table contracts drop column agreed_version;
alter table contracts drop column current_version;
