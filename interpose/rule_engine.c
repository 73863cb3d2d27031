/* placeholder */ typedef int fl_placeholder_rule_engine_c;
