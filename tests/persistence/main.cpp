#define BOOST_TEST_MODULE herald_persistence
#include <boost/test/unit_test.hpp>
