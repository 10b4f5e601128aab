#include "test_db.hpp"
