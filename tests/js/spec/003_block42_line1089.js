// НЕ используйте console.*
console.log("Starting"); // НЕ будет логироваться

// НЕ используйте setTimeout
setTimeout(() => {}, 5000); // Может работать некорректно

// НЕ забывайте await
Stels.sleep(5000); // Не будет ждать!
