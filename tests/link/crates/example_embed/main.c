#include <stdio.h>

char *greeting_new(const char *name);
void greeting_free(char *greeting);

int main(void) {
    char *g = greeting_new("C");
    puts(g);
    greeting_free(g);
    return 0;
}
